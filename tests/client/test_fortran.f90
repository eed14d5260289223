! The Fortran module against a real server (SSDB set by locus_run_with_server): arrays of every kind and
! ranks 1 to 4 round-trip; element order is checked against the C view of the stored tensor (a(i,j) is
! tensor[i-1][j-1], so unpacking a(3,2) into the transposed shape b(2,3) with a C-order reader differs);
! datasets, metadata and lists. Exit status 1 on any failure.
program test_fortran
  use, intrinsic :: iso_c_binding
  use locus
  use fortran_checks
  implicit none
  interface
     function c_unpack(c, name, data, dims, ndims, type, layout) bind(c, name="locus_unpack_tensor") result(r)
       import :: c_ptr, c_char, c_int, c_size_t
       type(c_ptr), value :: c, data
       character(kind=c_char) :: name(*)
       integer(c_size_t) :: dims(*)
       integer(c_size_t), value :: ndims
       integer(c_int), value :: type, layout
       integer(c_int) :: r
     end function
  end interface
  type(locus_client) :: c
  type(locus_dataset) :: d, g
  type(locus_dataset), allocatable :: items(:)
  type(locus_info) :: info
  character(len=256) :: ssdb
  character(len=:), allocatable :: sv, sk, sval
  logical :: found
  integer :: i, j, k, n
  integer(c_int8_t) :: a8(3, 4), b8(3, 4)
  integer(c_int16_t) :: a16(5), b16(5)
  integer(c_int32_t) :: a32(2, 3, 4), b32(2, 3, 4), wrong(3, 2, 4)
  integer(c_int64_t) :: a64(2, 2, 2, 3), b64(2, 2, 2, 3)
  real(c_float) :: r32(4, 3), s32(4, 3)
  real(c_double) :: r64(6, 5), s64(6, 5), t64(5, 6)
  real(c_double), allocatable :: dv(:)
  integer(c_int64_t), allocatable :: iv(:)
  character(len=:), allocatable :: str
  logical :: ex, ok
  integer :: st

  call check(c%initialize() == LOCUS_OK, 'initialize')
  call check(.not. c%is_cluster(), 'standalone detected')

  a8 = reshape([(int(i, c_int8_t), i = 1, 12)], shape(a8))
  a16 = [(int(-i * 100, c_int16_t), i = 1, 5)]
  a32 = reshape([(int(i * 7, c_int32_t), i = 1, 24)], shape(a32))
  a64 = reshape([(int(i, c_int64_t) * 10000000000_c_int64_t, i = 1, 24)], shape(a64))
  r32 = reshape([(real(i, c_float) / 4, i = 1, 12)], shape(r32))
  r64 = reshape([((real(i * 10 + j, c_double), i = 1, 6), j = 1, 5)], shape(r64))

  call check(c%put_tensor('a8', a8) == LOCUS_OK, 'put int8')
  st = c%unpack_tensor('a8', b8)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. all(a8 == b8), 'int8 rank 2')
  call check(c%put_tensor('a16', a16) == LOCUS_OK, 'put int16')
  st = c%unpack_tensor('a16', b16)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. all(a16 == b16), 'int16 rank 1')
  call check(c%put_tensor('a32', a32) == LOCUS_OK, 'put int32')
  st = c%unpack_tensor('a32', b32)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. all(a32 == b32), 'int32 rank 3')
  call check(c%put_tensor('a64', a64) == LOCUS_OK, 'put int64')
  st = c%unpack_tensor('a64', b64)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. all(a64 == b64), 'int64 rank 4')
  call check(c%put_tensor('r32', r32) == LOCUS_OK, 'put real32')
  st = c%unpack_tensor('r32', s32)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. all(r32 == s32), 'real32 rank 2')
  call check(c%put_tensor('r64', r64) == LOCUS_OK, 'put real64')
  st = c%unpack_tensor('r64', s64)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. all(r64 == s64), 'real64 rank 2')

  ! element order as C sees it: r64(i,j) = 10i + j must be tensor[i-1][j-1], i.e. row-major position
  ! (i-1)*5 + (j-1) of the stored 6x5 tensor, read here through the C entry point in C layout.
  call check(c%put_tensor('order', r64) == LOCUS_OK, 'put order')
  call check(c%unpack_tensor('order', t64) == LOCUS_ERR_TYPE, 'shape checked')
  block
    real(c_double), target :: flat(30)
    integer(c_size_t) :: cdims(2) = [6_c_size_t, 5_c_size_t]
    st = c_unpack(c%ptr, 'order' // c_null_char, c_loc(flat), cdims, 2_c_size_t, 1_c_int, 2_c_int)
    ok = st == LOCUS_OK
    do i = 1, 6
       do j = 1, 5
          ok = ok .and. flat((i - 1) * 5 + j) == real(10 * i + j, c_double)
       end do
    end do
    call check(ok, 'Fortran a(i,j) is C tensor[i-1][j-1]')
  end block
  ok = .true.
  ! rank-3 order check: a32(i,j,k) = 7 * (i + 2(j-1) + 6(k-1)); wrong shape is refused
  call check(c%unpack_tensor('a32', wrong) == LOCUS_ERR_TYPE, 'wrong shape refused')
  call check(index(locus_last_error(), 'a32') > 0, 'error names the key')
  do k = 1, 4
     do j = 1, 3
        do i = 1, 2
           ok = ok .and. b32(i, j, k) == 7 * (i + 2 * (j - 1) + 6 * (k - 1))
        end do
     end do
  end do
  call check(ok, 'rank 3 element order')

  st = c%tensor_exists('a8', ex)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. ex, 'exists')
  st = c%poll_tensor('nope', 5, 2, ex)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. .not. ex, 'poll missing')
  call check(c%copy_tensor('a8', 'a8c') == LOCUS_OK, 'copy')
  call check(c%rename_tensor('a8c', 'a8r') == LOCUS_OK, 'rename')
  st = c%unpack_tensor('a8r', b8)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. all(a8 == b8), 'renamed content')
  call check(c%delete_tensor('a8r') == LOCUS_OK, 'delete')
  call check(c%delete_tensor('a8r') == LOCUS_ERR_KEY, 'delete missing')

  ! datasets and metadata
  call check(d%initialize('fds') == LOCUS_OK, 'dataset init')
  call check(d%add_tensor('r64', r64) == LOCUS_OK, 'dataset add')
  call check(d%add_tensor('a32', a32) == LOCUS_OK, 'dataset add 2')
  call check(d%add_meta_scalar('dt', 0.5_c_double) == LOCUS_OK, 'meta double')
  call check(d%add_meta_scalar('dt', 0.25_c_double) == LOCUS_OK, 'meta double 2')
  call check(d%add_meta_scalar('step', 42_c_int64_t) == LOCUS_OK, 'meta int64')
  call check(d%add_meta_string('code', 'fortran') == LOCUS_OK, 'meta string')
  call check(c%put_dataset(d) == LOCUS_OK, 'put dataset')
  st = c%dataset_exists('fds', ex)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. ex, 'dataset exists')
  call check(c%get_dataset('fds', g) == LOCUS_OK, 'get dataset')
  st = g%unpack_dataset_tensor('r64', s64)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. all(s64 == r64), 'dataset r64')
  st = g%unpack_dataset_tensor('a32', b32)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. all(b32 == a32), 'dataset a32')
  call check(g%get_meta_scalars('dt', dv) == LOCUS_OK, 'get meta double')
  call check(size(dv) == 2 .and. dv(2) == 0.25_c_double, 'meta double values')
  st = g%get_meta_scalars('step', iv)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. iv(1) == 42, 'meta int64 value')
  call check(g%get_meta_scalars('dt', iv) == LOCUS_ERR_TYPE, 'meta type checked')
  st = g%get_meta_string('code', 1, str)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. str == 'fortran', 'meta string value')
  st = g%meta_string_count('code', n)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. n == 1, 'meta string count')
  call check(g%name() == 'fds', 'dataset name')
  call g%destroy()

  ! lists
  do i = 1, 3
     call check(c%append_to_list('flist', d) == LOCUS_OK, 'append')
  end do
  st = c%get_list_length('flist', n)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. n == 3, 'list length')
  st = c%poll_list_length('flist', 3, LOCUS_CMP_GE, 5, 2, ok)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. ok, 'poll list')
  st = c%get_datasets_from_list('flist', items)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. size(items) == 3, 'list get')
  do i = 1, size(items)
     st = items(i)%unpack_dataset_tensor('a32', b32)  ! evaluated before the condition that reads its outputs
     call check(st == LOCUS_OK .and. all(b32 == a32), 'list item')
     call items(i)%destroy()
  end do
  call check(c%copy_list('flist', 'flist2') == LOCUS_OK, 'copy list')
  call check(c%rename_list('flist2', 'flist3') == LOCUS_OK, 'rename list')
  call check(c%delete_list('flist3') == LOCUS_OK, 'delete list')
  call check(c%rename_dataset('fds', 'fds2') == LOCUS_OK, 'rename dataset')
  call check(c%delete_dataset('fds2') == LOCUS_OK, 'delete dataset')
  ! administration calls on the one node (SmartRedis's flush_db, save, config_*, get_db_*_info)
  call get_environment_variable('SSDB', ssdb)
  call check(c%save(trim(ssdb)) == LOCUS_OK, 'save')
  call check(c%get_db_node_info(trim(ssdb), info) == LOCUS_OK, 'get_db_node_info')
  call info%get('Server', 'redis_version', sv, found)
  call check(found .and. len(sv) > 0, 'INFO has Server redis_version')
  call info%get('Persistence', 'rdb_changes_since_last_save', sv, found)
  call check(found .and. sv == '0', 'save wrote everything')
  call check(info%count() > 50, 'INFO entries')
  st = info%entry(1, sk, sval, sv)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. sk == 'Server', 'first INFO entry is in Server')
  call check(c%config_set('maxmemory-policy', 'allkeys-lru', trim(ssdb)) == LOCUS_OK, 'config_set')
  call check(c%config_get('maxmemory-policy', trim(ssdb), info) == LOCUS_OK, 'config_get')
  call info%get('', 'maxmemory-policy', sv, found)
  call check(found .and. sv == 'allkeys-lru', 'config_get value')
  call check(c%config_set('maxmemory-policy', 'noeviction', trim(ssdb)) == LOCUS_OK, 'config_set back')
  call check(c%get_db_cluster_info(trim(ssdb), info) /= LOCUS_OK, 'cluster info refused standalone')
  call check(c%put_tensor('before_flush', r64) == LOCUS_OK, 'put before flush')
  call check(c%flush_db(trim(ssdb)) == LOCUS_OK, 'flush_db')
  st = c%tensor_exists('before_flush', found)  ! evaluated before the condition that reads its outputs
  call check(st == LOCUS_OK .and. .not. found, 'flush_db emptied the node')
  call info%destroy()
  call d%destroy()
  call c%destroy()
  ! main-program allocatables outlive MAIN__ otherwise (LeakSanitizer); iv was deallocated by the failed call
  if (allocated(items)) deallocate(items)
  if (allocated(dv)) deallocate(dv)
  if (allocated(iv)) deallocate(iv)
  if (allocated(str)) deallocate(str)
  if (allocated(sv)) deallocate(sv)
  if (allocated(sk)) deallocate(sk)
  if (allocated(sval)) deallocate(sval)
  call report('client_fortran')

end program test_fortran
