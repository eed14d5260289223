! The Fortran side of the example: put a 2-d array, read it back, check an element.
!   gfortran -I<prefix>/include/locus/fortran put_get.f90 -L<prefix>/lib -llocus_fortran -llocus
program put_get
  use, intrinsic :: iso_c_binding
  use locus
  implicit none
  type(locus_client) :: c
  real(c_double) :: a(4, 8), b(4, 8)
  integer :: i, j
  do j = 1, 8
     do i = 1, 4
        a(i, j) = i + j / 10.0d0
     end do
  end do
  if (c%initialize() /= LOCUS_OK) then
     print *, 'initialize: ', locus_last_error()
     stop 1
  end if
  if (c%put_tensor('example:fortran', a) /= LOCUS_OK) stop 2
  if (c%unpack_tensor('example:fortran', b) /= LOCUS_OK) stop 3
  print '(a,f6.2)', 'b(4,8) = ', b(4, 8)
  if (any(a /= b)) stop 4
  call c%destroy()
end program put_get
